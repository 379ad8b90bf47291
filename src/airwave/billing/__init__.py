"""The subscriber business: plans and packages, subscriptions and their renewals, invoices, payments, vouchers."""
