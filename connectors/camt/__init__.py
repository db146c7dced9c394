"""ISO 20022 camt.052/053/054 statements and notifications: the connector, the entries turned
into payments (`parse`), each entry's status, facts and batch split (`entries`), the balances
(`balances`), the source text kept per payment (`raw_text`), field readers (`fields`), the
line-numbered XML tree (`xml_tree`) and the writer.
"""
