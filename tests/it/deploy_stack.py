"""CloudFormation on the emulator for tests/it/deploy.rs (the crate has no CloudFormation SDK; this
runs on MiniStack's own Python, whose botocore is enough).

    deploy_stack.py deploy ENDPOINT STACK TEMPLATE ZIP [Key=Value ...]
        uploads ZIP to a fresh bucket, creates the stack with CodeBucket/CodeKey and the given
        parameters, waits for it and prints describe-stacks' JSON (as `aws cloudformation
        describe-stacks --output json` does); on failure prints the failed resources' reasons
    deploy_stack.py delete ENDPOINT STACK
        deletes the stack and the code bucket, waits, prints the final status
    deploy_stack.py set-env ENDPOINT FUNCTION Key=Value ...
        changes environment variables of a deployed function, keeping the others
"""
import json
import sys
import time

import botocore.session
from botocore.exceptions import ClientError


def client(endpoint, service):
    return botocore.session.get_session().create_client(
        service, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id="test", aws_secret_access_key="test")


def bucket_of(stack):
    return f"{stack.lower()}-code"[:63]


def wait(cfn, stack, timeout=300):
    deadline = time.time() + timeout
    while True:
        try:
            s = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        except ClientError as e:
            if "does not exist" in str(e):
                return None
            raise
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            return s
        if time.time() > deadline:
            sys.exit(f"{stack}: still {s['StackStatus']} after {timeout} s")
        time.sleep(0.5)


def deploy(endpoint, stack, template, zip_path, *params):
    s3 = client(endpoint, "s3")
    bucket = bucket_of(stack)
    s3.create_bucket(Bucket=bucket)
    with open(zip_path, "rb") as f:
        s3.put_object(Bucket=bucket, Key="imgedit-lambda.zip", Body=f.read())
    parameters = [{"ParameterKey": "CodeBucket", "ParameterValue": bucket},
                  {"ParameterKey": "CodeKey", "ParameterValue": "imgedit-lambda.zip"}]
    for p in params:
        k, _, v = p.partition("=")
        parameters.append({"ParameterKey": k, "ParameterValue": v})
    cfn = client(endpoint, "cloudformation")
    with open(template) as f:
        body = f.read()
    cfn.create_stack(StackName=stack, TemplateBody=body, Parameters=parameters,
                     Capabilities=["CAPABILITY_IAM"])
    s = wait(cfn, stack)
    if s is None or s["StackStatus"] != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
        failed = [f"  {e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason', '')}"
                  for e in events if e["ResourceStatus"].endswith("FAILED")]
        sys.exit(f"{stack}: {s and s['StackStatus']}\n" + "\n".join(failed))
    print(json.dumps({"Stacks": [s]}, default=str))


def delete(endpoint, stack):
    cfn = client(endpoint, "cloudformation")
    cfn.delete_stack(StackName=stack)
    s = wait(cfn, stack)
    status = "DELETE_COMPLETE" if s is None else s["StackStatus"]
    s3 = client(endpoint, "s3")
    bucket = bucket_of(stack)
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)
    print(status)
    if status != "DELETE_COMPLETE":
        sys.exit(1)


def set_env(endpoint, function, *pairs):
    lam = client(endpoint, "lambda")
    env = lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    for p in pairs:
        k, _, v = p.partition("=")
        env[k] = v
    lam.update_function_configuration(FunctionName=function, Environment={"Variables": env})
    deadline = time.time() + 60
    while lam.get_function_configuration(FunctionName=function).get("LastUpdateStatus") == "InProgress":
        if time.time() > deadline:
            sys.exit(f"{function}: the configuration update did not finish")
        time.sleep(0.2)


if __name__ == "__main__":
    {"deploy": deploy, "delete": delete, "set-env": set_env}[sys.argv[1]](*sys.argv[2:])
