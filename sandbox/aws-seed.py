# Seeds the AWS profile's moto with what a real account holds before CAPA runs there (sandbox/aws.ts):
# the IAM instance profiles and the EKS control-plane role that `clusterawsadm bootstrap iam` creates, and an
# image per Kubernetes version under CAPA's lookup name (capa-ami-<os>-<version>-*) in each region given, in the
# emulated account. Idempotent. Run with the moto venv's python (boto3 comes with moto):
# aws-seed.py ENDPOINT REGION[,REGION...] VERSION...
import json
import sys

import boto3

endpoint, regions, versions = sys.argv[1], sys.argv[2].split(','), sys.argv[3:]
kw = dict(endpoint_url=endpoint, aws_access_key_id='testing', aws_secret_access_key='testing')
iam = boto3.client('iam', region_name='us-east-1', **kw)

for name in ['control-plane.cluster-api-provider-aws.sigs.k8s.io', 'nodes.cluster-api-provider-aws.sigs.k8s.io']:
    try:
        iam.create_instance_profile(InstanceProfileName=name)
    except iam.exceptions.EntityAlreadyExistsException:
        pass

trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'eks.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}
try:
    iam.create_role(RoleName='eks-controlplane.cluster-api-provider-aws.sigs.k8s.io', AssumeRolePolicyDocument=json.dumps(trust))
except iam.exceptions.EntityAlreadyExistsException:
    pass

# Note: RegisterImage in moto sets no architecture nor virtualization type, both of which CAPA filters on;
# a copy of moto's own Ubuntu image (x86_64, hvm) carries them, owned by the emulated account.
# moto lists the same built-in images in every region.
source = 'ami-785db401'
for region in regions:
    ec2 = boto3.client('ec2', region_name=region, **kw)
    for version in versions:
        name = f'capa-ami-ubuntu-24.04-{version}-1700000000'
        if not ec2.describe_images(Owners=['self'], Filters=[{'Name': 'name', 'Values': [name]}])['Images']:
            ec2.copy_image(SourceImageId=source, SourceRegion=region, Name=name, Description=f'capi-mcp sandbox image for Kubernetes {version}')
print(len(regions) * len(versions))
