"""A handful of small documents and questions the PostgreSQL retrieval tests share."""
from __future__ import annotations

DOCS: list[tuple[str, str, str]] = [
    ("Refunds", "# Refunds\nYou can get a refund within 30 days of purchase. Contact support with your order "
     "number. Refunds take five business days to arrive on your card.", "refunds.md"),
    ("Shipping", "# Shipping\nWe ship worldwide from our warehouse in Rotterdam. Orders leave within two days. "
     "Express shipping costs extra and arrives in three days.", "shipping.md"),
    ("Passwords", "# Passwords\nTo reset your password open the settings page and click forgot password. A reset "
     "link is emailed to you. The link expires after one hour.", "passwords.md"),
    ("Invoices", "# Invoices\nInvoices are generated at the end of every month. You can download them as PDF "
     "from the billing page. Company details can be changed before the invoice is issued.", "invoices.md"),
    ("Accounts", "# Deleting an account\nAccounts can be deleted from the privacy tab. All your data is erased "
     "after fourteen days. Logging in again during that time cancels the deletion.", "accounts.md"),
    ("Plans", "# Plans\nThe free plan allows three projects. The team plan adds unlimited projects, shared "
     "workspaces and priority support. Plans can be switched at any time.", "plans.md"),
    ("Hours", "# Opening hours\nSupport answers every weekday from nine to five.", "hours.md"),  # one sentence
]

QUESTIONS = [
    "how long until my refund arrives",
    "forgot my password, what now",
    "how much does express delivery cost",
    "where do I download my invoice",
    "how do I delete my account",
    "which plan has priority support",
    "warehouse location",
    "when is support open",
]
