"""Adapters for the AWS services other than DynamoDB (SQS, Step Functions, EventBridge Scheduler, S3): each
implements a port of the domain and is picked by `jarchi.wiring`."""
