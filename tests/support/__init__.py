"""What tests share: the fixed clock, builders of feeds and archives, the CLI as a subprocess."""
