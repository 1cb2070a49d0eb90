"""The airlock's Lambda code, deployed as a CDK asset: ``airlock_lambda.py`` uses only boto3 and the standard
library, so the directory is the function's code as it is. The command imports it for the names both share."""
