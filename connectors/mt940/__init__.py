"""SWIFT MT940/MT942 statements: the connector, the tag syntax (`syntax`), the `:86:` details
dialects (`details`) and the writer.
"""
