"""Cognito user pools: managed login (the Hosted UI); SRP and challenges come with sign-in."""
