/**
 * The shipped default rules (default-rules.yaml) as JSON, for the functions in AWS, which parse
 * JSON only and so bundle no YAML parser: the YAML's parse, indented by two (a test holds the two
 * equal), and the YAML file's SHA-256, which `GET /v1/automation-rules` reports for the default set.
 */
export const defaultRulesSha256 = 'b66b01bce783245c5b88762b3d3213b2c6f45c99df8e15f0a6b9781cf3d0feab';

export const defaultRulesJson = `{
  "rules": [
    {
      "id": "guardduty-iam-quarantine",
      "description": "A GuardDuty finding about an IAM user's or role's credentials (an access key used from Tor or outside AWS, anomalous credential access, CloudTrail turned off): attach the deny-all policy to the user or role, which stops its keys, console sessions and role sessions alike. iam-unquarantine removes it.",
      "mode": "dry-run",
      "match": {
        "source": "guardduty",
        "types": [
          "UnauthorizedAccess:IAMUser/*",
          "CredentialAccess:*",
          "Stealth:IAMUser/*"
        ]
      },
      "run": {
        "action": "iam-quarantine"
      }
    },
    {
      "id": "guardduty-isolate-ec2-instance",
      "description": "A GuardDuty finding about an EC2 instance (a backdoor, a cryptocurrency miner, a trojan, unauthorised access): move the instance into an isolation security group, keeping it running for evidence. unisolate-ec2-instance restores its groups. Only where the instance is the actor: an instance that is only the target (brute-forced or probed from the internet) is a victim, and isolating it would let anyone on the internet take it offline.",
      "mode": "dry-run",
      "match": {
        "source": "guardduty",
        "types": [
          "Backdoor:EC2/*",
          "CryptoCurrency:EC2/*",
          "Trojan:EC2/*",
          "UnauthorizedAccess:EC2/*"
        ],
        "resourceRole": "ACTOR"
      },
      "run": {
        "action": "isolate-ec2-instance"
      }
    },
    {
      "id": "guardduty-s3-make-private",
      "description": "A GuardDuty finding about an S3 bucket (public access opened, data read from a malicious address): block all public access to the bucket. undo-make-cloud-resource-private restores the settings it changed.",
      "mode": "dry-run",
      "match": {
        "source": "guardduty",
        "types": [
          "Policy:S3/*",
          "Exfiltration:S3/*"
        ]
      },
      "run": {
        "action": "make-cloud-resource-private"
      }
    },
    {
      "id": "guardduty-kubernetes-isolate-workload",
      "description": "A GuardDuty EKS or runtime finding naming a workload (deployment, statefulset, daemonset, replicaset): apply a deny-all NetworkPolicy to its pods, which keep running for evidence. A finding naming only a pod is decided unmapped here (a pod is no workload) and captured by guardduty-kubernetes-capture-pod. delete-network-policy undoes it.",
      "mode": "dry-run",
      "match": {
        "source": "guardduty",
        "types": [
          "*:Kubernetes/*",
          "*:Runtime/*"
        ]
      },
      "run": {
        "action": "isolate-network"
      }
    },
    {
      "id": "guardduty-kubernetes-capture-pod",
      "description": "A GuardDuty EKS or runtime finding naming a pod: capture the pod's spec, status, events and container details as evidence before anyone deletes it. Evidence only: nothing in the cluster changes.",
      "mode": "dry-run",
      "match": {
        "source": "guardduty",
        "types": [
          "*:Kubernetes/*",
          "*:Runtime/*"
        ]
      },
      "run": {
        "action": "capture-pod-state"
      }
    },
    {
      "id": "securityhub-s3-public-bucket",
      "description": "A Security Hub control failing on a bucket that allows public read or write, or lacks bucket-level block public access (S3.2, S3.3, S3.8): block all public access to it.",
      "mode": "dry-run",
      "match": {
        "source": "securityhub",
        "types": [
          "S3.2",
          "S3.3",
          "S3.8"
        ]
      },
      "run": {
        "action": "make-cloud-resource-private"
      }
    },
    {
      "id": "falco-container-pause",
      "description": "Falco saw an interactive shell or a dropped binary executed in a container: pause the container, which freezes its processes with their memory intact for evidence. unpause-container resumes it.",
      "mode": "dry-run",
      "match": {
        "source": "falco",
        "types": [
          "Terminal shell in container",
          "Drop and execute new binary in container"
        ]
      },
      "run": {
        "action": "pause-container"
      }
    },
    {
      "id": "falco-binary-dir-quarantine",
      "description": "Falco saw a write below a binary directory (/bin, /usr/bin, ...): move the written file into quarantine on its host, kept for evidence. file-unquarantine puts it back.",
      "mode": "dry-run",
      "match": {
        "source": "falco",
        "types": [
          "Write below binary dir"
        ]
      },
      "run": {
        "action": "file-quarantine"
      }
    },
    {
      "id": "falco-sensitive-file-kill-process",
      "description": "Falco saw an untrusted process read a sensitive file such as /etc/shadow: kill that process. This is the one default that cannot be undone, so review its plans first.",
      "mode": "dry-run",
      "match": {
        "source": "falco",
        "types": [
          "Read sensitive file untrusted"
        ]
      },
      "run": {
        "action": "kill-process"
      }
    }
  ]
}`;
