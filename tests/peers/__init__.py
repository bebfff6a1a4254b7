"""Independent peers nbauth is tested against: real third-party servers on 127.0.0.1."""
