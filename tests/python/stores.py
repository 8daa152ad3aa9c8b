"""Set up and read back the S3-compatible (moto) and Azure-compatible (Azurite) test stores.

Run with:
  python stores.py s3 <endpoint> put <bucket> <local-dir> <prefix>   create the bucket, upload a directory
  python stores.py s3 <endpoint> get <bucket> <prefix> <local-dir>   download everything under a prefix
  python stores.py az <endpoint> put <container> <local-dir> <prefix>
  python stores.py az <endpoint> get <container> <prefix> <local-dir>
"""
import os
import sys

AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def s3(endpoint):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def main(kind, endpoint, action, bucket, a, b):
    if kind == "s3":
        client = s3(endpoint)
        if action == "put":
            client.create_bucket(Bucket=bucket)
            for name in sorted(os.listdir(a)):
                client.upload_file(os.path.join(a, name), bucket, f"{b}/{name}")
        else:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=a):
                for obj in page.get("Contents", []):
                    dest = os.path.join(b, obj["Key"])
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    client.download_file(bucket, obj["Key"], dest)
    else:
        from azure.storage.blob import BlobServiceClient

        conn = f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint={endpoint}/devstoreaccount1;"
        service = BlobServiceClient.from_connection_string(conn)
        if action == "put":
            container = service.create_container(bucket)
            for name in sorted(os.listdir(a)):
                with open(os.path.join(a, name), "rb") as f:
                    container.upload_blob(f"{b}/{name}", f)
        else:
            container = service.get_container_client(bucket)
            for blob in container.list_blobs(name_starts_with=a):
                dest = os.path.join(b, blob.name)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(container.download_blob(blob.name).readall())


if __name__ == "__main__":
    main(*sys.argv[1:7])
