"""Identity providers: verification of the tokens that social login presents."""
