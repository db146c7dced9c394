"""BAI2 (BAI version 2) cash-management files: the parser (`connector`, on the record layer in
`records`) and the writer benchmarks and tests build files with.
"""
