"""REFI-QDA exchange: `.qdc` codebooks (qdc.py) and `.qdpx` projects (qdpx_export.py,
qdpx_import.py). See docs/refi-qda.md for what maps to what.

XML is parsed only through defusedxml (xmlio.py); `.qdpx` archives are opened only through
workbench/safezip.py. Nothing here imports textual or the model stack.
"""
