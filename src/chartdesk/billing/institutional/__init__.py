"""The hospital's claim: facility charges priced from the chargemaster, the institutional claim (837I,
UB-04) built from the coded stay, its scrubber checks, the 837I batch and the printable UB-04."""
