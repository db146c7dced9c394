"""Any bank's CSV export read through a `[sources.csv.<bank>]` profile: the connector and the
row checks (`rows`) shared with master-data import.
"""
