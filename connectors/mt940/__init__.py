"""SWIFT MT940/MT942 statements: the connector, the statement as a whole (`statements`), one
statement line as a payment (`entries`), the tag syntax (`syntax`), the `:86:` details
dialects (`details`) and the writer.
"""
