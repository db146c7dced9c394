"""NACHA ACH files incl. returns, NOCs and CTX: the connector, the record positions and code
tables (`layout`), the record layer (`records`), the X12 820 remittance inside CTX addenda
(`x12_820`), ISO 20022 XML addenda (`xml_addenda`) and the writer.
"""
