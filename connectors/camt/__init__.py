"""ISO 20022 camt.052/053/054 statements and notifications: the connector, the parse of entries
(`parse`), field readers (`fields`), the line-numbered XML tree (`xml_tree`) and the writer.
"""
