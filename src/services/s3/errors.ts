// S3 error codes that the model does not declare as shapes (S3 documents them only in its
// error-code table: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
// Messages are AWS's own, word for word; `fields` become extra elements of the XML <Error>.
import { ServiceError } from '../../core/errors.js';
export { NoSuchBucket, NoSuchKey, NoSuchUpload, BucketAlreadyExists, BucketAlreadyOwnedByYou, InvalidRequest } from '../../generated/s3.js';
import { NoSuchBucket, NoSuchKey } from '../../generated/s3.js';

function err(code: string, status: number, message: string, fields?: Record<string, unknown>, headers?: Record<string, string>): ServiceError {
  return new ServiceError(code, message, { status, fields, headers });
}

export const noSuchBucket = (bucket: string) => new NoSuchBucket('The specified bucket does not exist', { BucketName: bucket });
export const noSuchKey = (key: string, headers?: Record<string, string>) => {
  const e = new NoSuchKey('The specified key does not exist.', { Key: key });
  if (headers) Object.assign(e.headers, headers);
  return e;
};
export const noSuchVersion = (key: string, versionId: string) => err('NoSuchVersion', 404, 'The specified version does not exist.', { Key: key, VersionId: versionId });
export const invalidVersionId = (versionId: string) => err('InvalidArgument', 400, 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
export const invalidBucketName = (bucket: string) => err('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket });
export const bucketNotEmpty = (bucket: string, versioned: boolean) =>
  err('BucketNotEmpty', 409, versioned ? 'The bucket you tried to delete is not empty. You must delete all versions in the bucket.' : 'The bucket you tried to delete is not empty', { BucketName: bucket });
export const invalidArgument = (message: string, name?: string, value?: unknown) =>
  err('InvalidArgument', 400, message, name === undefined ? undefined : { ArgumentName: name, ArgumentValue: value === undefined ? undefined : String(value) });
export const malformedXml = () => err('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
export const preconditionFailed = (condition: string) => err('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
export const notModified = (headers: Record<string, string>) => err('NotModified', 304, 'Not Modified', undefined, headers);
export const invalidRange = (range: string, size: number) => err('InvalidRange', 416, 'The requested range is not satisfiable', { RangeRequested: range, ActualObjectSize: size }, { 'Content-Range': `bytes */${size}` });
export const entityTooLarge = (proposed: number, max: number) => err('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: proposed, MaxSizeAllowed: max });
export const entityTooSmall = (proposed: number, partNumber: number, etag: string) =>
  err('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.', { ProposedSize: proposed, MinSizeAllowed: 5 * 1024 * 1024, PartNumber: partNumber, ETag: etag });
export const invalidDigest = (contentMd5: string) => err('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.', { 'Content-MD5': contentMd5 });
export const badDigest = (expected: string, calculated: string) =>
  err('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.', { ExpectedDigest: expected, CalculatedDigest: calculated });
export const badChecksum = (alg: string) => err('BadDigest', 400, `The ${alg} you specified did not match the calculated checksum.`);
export const invalidChecksumHeader = (alg: string) => err('InvalidRequest', 400, `Value for x-amz-checksum-${alg.toLowerCase()} header is invalid.`);
export const incompleteBody = () => err('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header');
export const keyTooLong = (size: number) => err('KeyTooLongError', 400, 'Your key is too long', { Size: size, MaxSizeAllowed: 1024 });
export const invalidPart = (uploadId: string, partNumber: number, etag: string) =>
  err('InvalidPart', 400, 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part\'s entity tag.', {
    UploadId: uploadId,
    PartNumber: partNumber,
    ETag: etag,
  });
export const invalidPartOrder = (uploadId: string) => err('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.', { UploadId: uploadId });
export const noSuchUpload = (uploadId: string) => err('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
export const invalidTag = (message: string) => err('InvalidTag', 400, message);
export const noSuchTagSet = (bucket: string) => err('NoSuchTagSet', 404, 'The TagSet does not exist', { BucketName: bucket });
export const noSuchCors = (bucket: string) => err('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist', { BucketName: bucket });
export const noSuchPolicy = (bucket: string) => err('NoSuchBucketPolicy', 404, 'The bucket policy does not exist', { BucketName: bucket });
export const noSuchEncryption = (bucket: string) =>
  err('ServerSideEncryptionConfigurationNotFoundError', 404, 'The server side encryption configuration was not found', { BucketName: bucket });
export const malformedPolicy = (message: string) => err('MalformedPolicy', 400, message);
export const methodNotAllowed = (headers: Record<string, string>, method: string) =>
  err('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'DeleteMarker' }, headers);
export const invalidStorageClass = () => err('InvalidStorageClass', 400, 'The storage class you specified is not valid');
export const accessForbidden = (message: string, method: string) => err('AccessForbidden', 403, message, { Method: method, ResourceType: 'OBJECT' });
export const noSuchStoredConfig = (code: string, message: string, bucket: string) => err(code, 404, message, { BucketName: bucket });
export const metadataTooLarge = (size: number) => err('MetadataTooLarge', 400, 'Your metadata headers exceed the maximum allowed metadata size.', { Size: size, MaxSizeAllowed: 2048 });
export const invalidObjectState = (message: string, storageClass: string) => err('InvalidObjectState', 403, message, { StorageClass: storageClass });
export const entityTooSmallForPolicy = (proposed: number, min: number) => err('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: proposed, MinSizeAllowed: min });
