import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** Adds an alarm that fires on one occurrence of `metric` in its period, notifying the alarm topic. */
export type AddAlarm = (alarmId: string, metric: IMetric, description: string) => void;

/**
 * The stack's alarm topic (SNS, encrypted with its own rotated key that CloudWatch may use) and
 * the one way its alarms are made: at least 1 in a period alarms, missing data does not.
 * Built in `scope` itself (ids `AlarmTopicKey`, `AlarmTopic` and each alarm's), as the stack always had them.
 */
export function alarmTopic(scope: Construct): { readonly topic: Topic; readonly alarm: AddAlarm } {
  const alarmKey = new Key(scope, 'AlarmTopicKey', {
    description: 'Encrypts response-actions alarm notifications',
    enableKeyRotation: true,
    // Protects notifications in flight only; nothing stays encrypted under it once delivered.
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  // CloudWatch publishes alarm state changes to the encrypted topic and so needs the key.
  alarmKey.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
    }),
  );
  const topic = new Topic(scope, 'AlarmTopic', { masterKey: alarmKey, enforceSSL: true, displayName: 'response-actions alarms' });
  const alarm: AddAlarm = (alarmId, metric, description) => {
    new Alarm(scope, alarmId, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(topic));
  };
  return { topic, alarm };
}
