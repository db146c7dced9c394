"""OFX 1.x SGML and 2.x XML bank and credit-card statements: the connector and the writer."""
