"""Eligibility (270/271, 005010X279A1) and claim status (276/277, 005010X212): the inquiries we send a payer
and the answers it sends back, kept beside the coverage and the claim they are about."""
