"""The yearly survey of protection profiles as a kind of survey round."""
