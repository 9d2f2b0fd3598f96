# Copied from the shared benchmark inputs so the benchmark runs from a fresh clone. Synthetic data only.
# Generates N synthetic identity policies (10 statements each) for the policy-lint speed benchmark.
# Usage: python3 gen_policies.py 1000 OUTDIR   (deterministic, seed 42)
import json, random, os, sys
random.seed(42)
N=int(sys.argv[1]); out=sys.argv[2]
os.makedirs(out, exist_ok=True)
acts=["s3:GetObject","s3:PutObject","s3:ListBucket","s3:DeleteObject","dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query",
"kms:Decrypt","kms:Encrypt","kms:GenerateDataKey","sqs:SendMessage","sqs:ReceiveMessage","sns:Publish","logs:PutLogEvents",
"logs:CreateLogStream","lambda:InvokeFunction","ec2:DescribeInstances","iam:PassRole","secretsmanager:GetSecretValue","ssm:GetParameter",
"s3:*","ec2:*","iam:CreatePolicyVersion","sts:AssumeRole","cloudwatch:PutMetricData"]
res={"s3":["arn:aws:s3:::case-bucket-{i}/*","arn:aws:s3:::case-bucket-{i}"],"dynamodb":["arn:aws:dynamodb:ca-central-1:111122223333:table/cases-{i}"],
"kms":["arn:aws:kms:ca-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],"sqs":["arn:aws:sqs:ca-central-1:111122223333:queue-{i}"],
"sns":["arn:aws:sns:ca-central-1:111122223333:topic-{i}"],"logs":["arn:aws:logs:ca-central-1:111122223333:log-group:/fraud/{i}:*"],
"lambda":["arn:aws:lambda:ca-central-1:111122223333:function:fn-{i}"],"ec2":["*"],"iam":["arn:aws:iam::111122223333:role/r-{i}","*"],
"secretsmanager":["arn:aws:secretsmanager:ca-central-1:111122223333:secret:s-{i}-AbCdEf"],"ssm":["arn:aws:ssm:ca-central-1:111122223333:parameter/p/{i}"],
"sts":["arn:aws:iam::111122223333:role/r-{i}"],"cloudwatch":["*"]}
for n in range(N):
    st=[]
    for s in range(10):
        a=random.sample(acts, random.randint(1,4))
        r=[]
        for x in a:
            r+= [t.format(i=n) for t in res[x.split(':')[0]]]
        stmt={"Sid":f"S{s}","Effect":"Allow","Action":a,"Resource":sorted(set(r))}
        if random.random()<0.3:
            stmt["Condition"]={"StringEquals":{"aws:RequestedRegion":["ca-central-1","ca-west-1"]}}
        st.append(stmt)
    json.dump({"Version":"2012-10-17","Statement":st}, open(f"{out}/p{n:04d}.json","w"), indent=1)
