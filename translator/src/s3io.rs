//! Streaming S3 input and multipart S3 output for the batch job, bridged to the synchronous
//! pipeline: the SDK runs on a Tokio runtime, the pipeline threads read and write through
//! ordinary `Read`/`Write` handles.

use std::io::{self, Read, Write};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use tokio::runtime::Handle;

/// `s3://bucket/key` → (bucket, key).
#[must_use]
pub fn parse_url(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

fn io_err(context: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{context}: {e}"))
}

/// Reads an S3 object as a byte stream (bounded buffering: at most a few SDK chunks in flight).
pub struct S3Reader {
    rx: tokio::sync::mpsc::Receiver<io::Result<bytes::Bytes>>,
    cur: bytes::Bytes,
}

impl S3Reader {
    /// Start `GetObject`; must be called outside the runtime's threads.
    pub fn open(handle: &Handle, client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> io::Result<Self> {
        let out = handle
            .block_on(client.get_object().bucket(bucket).key(key).send())
            .map_err(|e| io_err(&format!("s3://{bucket}/{key}: GetObject"), common::aws::describe(&e)))?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut body = out.body;
        handle.spawn(async move {
            loop {
                match body.try_next().await {
                    Ok(Some(chunk)) => {
                        if tx.send(Ok(chunk)).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(io_err("reading S3 object", e))).await;
                        return;
                    }
                }
            }
        });
        Ok(Self { rx, cur: bytes::Bytes::new() })
    }
}

impl Read for S3Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.cur = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        let _ = self.cur.split_to(n);
        Ok(n)
    }
}

/// Part size for multipart uploads (S3 minimum is 5 MiB except for the last part).
pub const PART_SIZE: usize = 8 << 20;

/// Writes an S3 object with a multipart upload (parts of [`PART_SIZE`]), server-side encrypted
/// with KMS. Nothing is visible under the key until [`S3Writer::finish`] completes the upload,
/// so a failed or interrupted run never leaves a partial object; a re-run replaces the object.
pub struct S3Writer {
    handle: Handle,
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    sse_kms_key: Option<String>,
    buf: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
}

impl S3Writer {
    #[must_use]
    pub fn new(
        handle: Handle,
        client: aws_sdk_s3::Client,
        bucket: &str,
        key: &str,
        sse_kms_key: Option<String>,
    ) -> Self {
        Self {
            handle,
            client,
            bucket: bucket.to_string(),
            key: key.to_string(),
            sse_kms_key,
            buf: Vec::with_capacity(PART_SIZE),
            upload_id: None,
            parts: Vec::new(),
        }
    }

    fn what(&self, op: &str) -> String {
        format!("s3://{}/{}: {op}", self.bucket, self.key)
    }

    fn upload_part(&mut self) -> io::Result<()> {
        if self.upload_id.is_none() {
            let mut req = self
                .client
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type("application/x-ndjson")
                .server_side_encryption(ServerSideEncryption::AwsKms);
            if let Some(k) = &self.sse_kms_key {
                req = req.ssekms_key_id(k);
            }
            let out = self
                .handle
                .block_on(req.send())
                .map_err(|e| io_err(&self.what("CreateMultipartUpload"), common::aws::describe(&e)))?;
            self.upload_id = out.upload_id;
        }
        let part_number = i32::try_from(self.parts.len() + 1).map_err(|e| io_err("part number", e))?;
        let body = std::mem::replace(&mut self.buf, Vec::with_capacity(PART_SIZE));
        let out = self
            .handle
            .block_on(
                self.client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .upload_id(self.upload_id.clone().unwrap_or_default())
                    .part_number(part_number)
                    .body(ByteStream::from(body))
                    .send(),
            )
            .map_err(|e| io_err(&self.what("UploadPart"), common::aws::describe(&e)))?;
        self.parts.push(CompletedPart::builder().part_number(part_number).set_e_tag(out.e_tag).build());
        Ok(())
    }

    /// Complete the upload (or put a small object in one request).
    pub fn finish(mut self) -> io::Result<()> {
        if self.upload_id.is_none() {
            let body = std::mem::take(&mut self.buf);
            let mut req = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type("application/x-ndjson")
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .body(ByteStream::from(body));
            if let Some(k) = &self.sse_kms_key {
                req = req.ssekms_key_id(k);
            }
            self.handle.block_on(req.send()).map_err(|e| io_err(&self.what("PutObject"), common::aws::describe(&e)))?;
            return Ok(());
        }
        if !self.buf.is_empty() {
            self.upload_part()?;
        }
        let parts = std::mem::take(&mut self.parts);
        self.handle
            .block_on(
                self.client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .upload_id(self.upload_id.clone().unwrap_or_default())
                    .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                    .send(),
            )
            .map_err(|e| io_err(&self.what("CompleteMultipartUpload"), common::aws::describe(&e)))?;
        self.upload_id = None;
        Ok(())
    }
}

impl Drop for S3Writer {
    fn drop(&mut self) {
        // not finished: abort so no parts linger (storage cost, and PII at rest)
        if let Some(id) = self.upload_id.take() {
            let _ = self.handle.block_on(
                self.client.abort_multipart_upload().bucket(&self.bucket).key(&self.key).upload_id(id).send(),
            );
        }
    }
}

impl Write for S3Writer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PART_SIZE {
            self.upload_part()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_s3_urls() {
        assert_eq!(super::parse_url("s3://b/k/x.ndjson"), Some(("b".into(), "k/x.ndjson".into())));
        assert_eq!(super::parse_url("s3://b/"), None);
        assert_eq!(super::parse_url("/tmp/x"), None);
    }
}
