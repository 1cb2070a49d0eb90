"""Code the constructs deploy as Lambda functions (custom-resource handlers), read as text, never imported by
the library at run time. Each module uses only the standard library and boto3, which the Lambda runtime
provides, so it can be deployed inline (``Code.ZipFile``) without an asset."""
