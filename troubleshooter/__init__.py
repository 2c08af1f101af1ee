"""troubleshooter: finds where Xero reference data stopped on its way to Dext."""

__version__ = "0.1.0"
