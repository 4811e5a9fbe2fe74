// The query protocol as plain HTTP clients see it: form posts (and posts to the queue URL itself,
// as Java v1 and boto2 send them), answered with the XML documents of the SQS API reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNimbus } from '../helpers/server.js';

const AUTH = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0';

test('query: XML documents as AWS sends them', async () => {
  const n = await startNimbus();
  const post = async (body: string, path = '/') => {
    const r = await fetch(n.endpoint + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH }, body });
    return { status: r.status, xml: await r.text() };
  };
  try {
    const created = await post('Action=CreateQueue&QueueName=xml-q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Tag.1.Key=team&Tag.1.Value=a&Version=2012-11-05');
    assert.equal(created.status, 200);
    assert.match(created.xml, new RegExp(`^(<\\?xml[^>]*>)?<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>${n.endpoint}/000000000000/xml-q</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></CreateQueueResponse>`));
    const url = `${n.endpoint}/000000000000/xml-q`;
    const sent = await post(`Action=SendMessage&QueueUrl=${encodeURIComponent(url)}&MessageBody=hello+world&MessageAttribute.1.Name=n&MessageAttribute.1.Value.DataType=Number&MessageAttribute.1.Value.StringValue=7`);
    assert.match(sent.xml, /<SendMessageResult><MD5OfMessageBody>5eb63bbbe01eeed093cb22bb8f5acdc3<\/MD5OfMessageBody><MD5OfMessageAttributes>[0-9a-f]{32}<\/MD5OfMessageAttributes><MessageId>[0-9a-f-]{36}<\/MessageId><\/SendMessageResult>/);
    // Java v1 / boto2 style: POST to the queue URL, no QueueUrl parameter.
    const got = await post('Action=ReceiveMessage&AttributeName.1=ApproximateReceiveCount&MessageAttributeName.1=All', '/000000000000/xml-q');
    assert.equal(got.status, 200);
    assert.match(got.xml, /<ReceiveMessageResult><Message><MessageId>[0-9a-f-]{36}<\/MessageId><ReceiptHandle>[^<]+<\/ReceiptHandle><MD5OfBody>5eb63bbbe01eeed093cb22bb8f5acdc3<\/MD5OfBody><Body>hello world<\/Body><Attribute><Name>ApproximateReceiveCount<\/Name><Value>1<\/Value><\/Attribute><MD5OfMessageAttributes>[0-9a-f]{32}<\/MD5OfMessageAttributes><MessageAttribute><Name>n<\/Name><Value><StringValue>7<\/StringValue><DataType>Number<\/DataType><\/Value><\/MessageAttribute><\/Message><\/ReceiveMessageResult>/);
    const attrs = await post(`Action=GetQueueAttributes&QueueUrl=${encodeURIComponent(url)}&AttributeName.1=VisibilityTimeout`);
    assert.match(attrs.xml, /<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout<\/Name><Value>40<\/Value><\/Attribute><\/GetQueueAttributesResult>/);
    const tags = await post(`Action=ListQueueTags&QueueUrl=${encodeURIComponent(url)}`);
    assert.match(tags.xml, /<ListQueueTagsResult><Tag><Key>team<\/Key><Value>a<\/Value><\/Tag><\/ListQueueTagsResult>/);
    const list = await post('Action=ListQueues&QueueNamePrefix=xml');
    assert.match(list.xml, new RegExp(`<ListQueuesResult><QueueUrl>${url}</QueueUrl></ListQueuesResult>`));
    const missing = await post('Action=GetQueueUrl&QueueName=nope');
    assert.equal(missing.status, 400);
    assert.match(missing.xml, /<ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code><Message>The specified queue does not exist.<\/Message><Detail\/><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/);
    const noParam = await post('Action=SendMessage&MessageBody=x');
    assert.equal(noParam.status, 400);
    assert.match(noParam.xml, /<Code>MissingParameter<\/Code><Message>The request must contain the parameter QueueUrl.<\/Message>/);
    const batch = await post(`Action=DeleteMessageBatch&QueueUrl=${encodeURIComponent(url)}&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=bad`);
    assert.match(batch.xml, /<DeleteMessageBatchResult><BatchResultErrorEntry><Id>a<\/Id><SenderFault>true<\/SenderFault><Code>ReceiptHandleIsInvalid<\/Code><Message>The input receipt handle (&quot;|")bad(&quot;|") is not a valid receipt handle.<\/Message><\/BatchResultErrorEntry><\/DeleteMessageBatchResult>/);
  } finally {
    await n.close();
  }
});
