"""AWS wiring: the identity-pool client, the default credentials provider, boto3 integration.

This is the only package that imports boto3/botocore; it is imported lazily.
"""
