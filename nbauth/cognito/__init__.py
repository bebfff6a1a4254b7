"""Cognito user pools: SRP, sign-in challenges, self-service API, managed login (Hosted UI)."""
