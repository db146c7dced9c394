"""OFX 1.x SGML and 2.x XML bank and credit-card statements: the connector, the markup reader
(`markup`), the statement mapping (`statements`) and the writer.
"""
