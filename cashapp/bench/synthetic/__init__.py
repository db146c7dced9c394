"""Synthetic AR data shared by the demo, the speed bench and the quality bench.

Why one package: the three books invent the same things -- customers with company names,
open invoices with ``INV-`` numbers, the ERP's master-data CSVs, and payments written as
the bank files a bank would send -- and each used to carry its own copy of how. Here is
that one copy: :mod:`.names` (name vocabularies and how banks and people spell a name),
:mod:`.ledger` (customers, invoices, invoice numbers and remittance shapes, the master
files), :mod:`.bankfiles` (our own bank identity and the BAI2 and NACHA pieces every book
writes).

What stays with each book is what makes it that book: its vocabulary (chosen from here),
its cases, and the order of its random draws. A seed must keep writing byte-identical
files, so the helpers here draw nothing a caller does not ask for, in the order asked.
"""
