//! Against emulated AWS (moto): a KMS key and two S3 buckets are created, the batch binary runs
//! from S3 to S3 with the KMS provider (multipart output), and a field is decrypted back.

use std::path::Path;

use assert_cmd::Command;

fn rand_suffix() -> String {
    let mut b = [0u8; 6];
    rand::fill(&mut b[..]);
    hex::encode(b)
}

#[test]
fn batch_from_s3_to_s3_with_kms_and_decrypt_back() {
    let Some(endpoint) = common::emulator::endpoint("batch_from_s3_to_s3_with_kms_and_decrypt_back") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let suffix = rand_suffix();
    let (in_bucket, out_bucket) = (format!("tr-in-{suffix}"), format!("tr-out-{suffix}"));
    let app =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/application-case/input.json"))
            .unwrap();
    let base: serde_json::Value = serde_json::from_str(&app).unwrap();
    let n = 4000;
    let mut input = String::new();
    for i in 0..n {
        let mut v = base.clone();
        v["application"]["app_ref"] = format!("APP-E-{i:06}").into();
        v["message_id"] = format!("00000000-0000-4000-8000-{i:012}").into();
        input.push_str(&serde_json::to_string(&v).unwrap());
        input.push('\n');
        if i == 10 {
            input.push_str("{\"schema\":\"consortium.application/9.0\"}\n");
        }
    }
    let key_id = rt.block_on(async {
        let cfg = common::aws::load(&common::aws::AwsOptions::default()).await;
        let kms = aws_sdk_kms::Client::new(&cfg);
        let key = kms.create_key().description("translator emulator test").send().await.unwrap();
        let key_id = key.key_metadata().unwrap().key_id().to_string();
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&cfg).force_path_style(true).build());
        for b in [&in_bucket, &out_bucket] {
            s3.create_bucket()
                .bucket(b)
                .create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::CaCentral1)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
        s3.put_object()
            .bucket(&in_bucket)
            .key("batches/apps.ndjson")
            .body(aws_sdk_s3::primitives::ByteStream::from(input.clone().into_bytes()))
            .send()
            .await
            .unwrap();
        key_id
    });
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    let bin = || {
        let mut c = Command::cargo_bin("translator").unwrap();
        c.env("AWS_ENDPOINT_URL", &endpoint).env("NO_COLOR", "1").env_remove("TRANSLATOR_KEYS");
        c
    };
    bin().args(["keygen", "--kms-key-id", &key_id, "--kid", "ck-emu-01", "--out"]).arg(&tokens).assert().code(0);
    let tf: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&tokens).unwrap()).unwrap();
    assert_eq!(tf["keys"][0]["kid"], "ck-emu-01");

    let out_url = format!("s3://{out_bucket}/cases/apps.ndjson");
    let res = bin()
        .args(["batch", "--no-progress", "--kms-key-id", &key_id, "--token-keys"])
        .arg(&tokens)
        .args(["--data-key-uses", "1000", "-i", &format!("s3://{in_bucket}/batches/apps.ndjson"), "-o", &out_url])
        .assert()
        .code(1);
    let summary: serde_json::Value = serde_json::from_slice(&res.get_output().stdout).unwrap();
    assert_eq!(summary["translated"], n);
    assert_eq!(summary["dead_lettered"], 1);
    assert!(summary["data_keys_generated"].as_u64().unwrap() >= 4, "{summary}");

    let (cases, dead) = rt.block_on(async {
        let cfg = common::aws::load(&common::aws::AwsOptions::default()).await;
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&cfg).force_path_style(true).build());
        let get = |k: &'static str| {
            let s3 = s3.clone();
            let b = out_bucket.clone();
            async move {
                let o = s3.get_object().bucket(b).key(k).send().await.unwrap();
                assert_eq!(o.server_side_encryption(), Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms));
                String::from_utf8(o.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
            }
        };
        (get("cases/apps.ndjson").await, get("cases/apps.ndjson.dead-letter.ndjson").await)
    });
    assert!(cases.len() > 8 << 20, "output should have needed a multipart upload");
    let refs: Vec<String> = cases
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["case"]["application"]["reference"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(refs.len(), n);
    assert!(refs.iter().enumerate().all(|(i, r)| *r == format!("APP-E-{i:06}")), "order kept");
    let d: serde_json::Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert_eq!(d["errors"][0]["code"], "UNSUPPORTED_SCHEMA_VERSION");
    assert_eq!(d["source"]["line"], 12);

    // decrypt a field back with the KMS provider
    let local = dir.path().join("cases.ndjson");
    std::fs::write(&local, cases.lines().take(3).collect::<Vec<_>>().join("\n")).unwrap();
    let dec = bin()
        .args(["decrypt", "--kms-key-id", &key_id, "--token-keys"])
        .arg(&tokens)
        .arg("--case")
        .arg(&local)
        .assert()
        .code(0);
    let text = String::from_utf8(dec.get_output().stdout.clone()).unwrap();
    let sin: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["pointer"] == "/case/subjects/0/national_id/value_enc")
        .collect();
    assert_eq!(sin.len(), 3);
    assert!(sin.iter().all(|v| v["value"] == "130692544"), "{text}");
}
