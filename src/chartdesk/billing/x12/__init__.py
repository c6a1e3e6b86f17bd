"""X12 5010: the 837P we send, a reader of our own 837P (round trip), and the 835 we receive."""
