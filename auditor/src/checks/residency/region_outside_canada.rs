//! AU701 `region-outside-canada`: a data resource (bucket, replication destination, KMS key or
//! one of its multi-Region replicas, trail home region, log group, stream) outside the allowed
//! regions.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory};

fn outside(sink: &mut Sink<'_>, s: &Settings, res: &Res, pointer: &str, what: &str, region: &str) {
    if !s.region_allowed(region) {
        let f = sink.report(
            res,
            pointer,
            format!("{what} is in {region}, outside the allowed regions ({})", s.allowed_regions.join(", ")),
        );
        f.evidence.insert("region".into(), region.into());
    }
}

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        if let Some(r) = need(sink, &res, "/region", "the bucket region", &b.region) {
            outside(sink, s, &res, "/region", &res.label(), r);
        }
        if let Fact::Known(dests) = &b.replication {
            for (i, d) in dests.iter().enumerate().filter(|(_, d)| d.enabled) {
                let ptr = format!("/replication/{i}");
                let what = format!("replication destination `{}` of {}", d.bucket_arn, res.label());
                match &d.region {
                    Fact::Known(r) => outside(sink, s, &res, &ptr, &what, r),
                    Fact::Unknown(reason) => sink.unknown(&res, &ptr, "the replication destination region", *reason),
                }
            }
        } else if let Fact::Unknown(r) = &b.replication {
            sink.unknown(&res, "/replication", "the replication configuration", *r);
        }
    }
    for k in &inv.kms_keys {
        let res = Res::key(k);
        outside(sink, s, &res, "/region", &res.label(), &k.region);
        if let Fact::Known(true) = k.multi_region {
            match &k.replica_regions {
                Fact::Known(rs) => {
                    for (i, r) in rs.iter().enumerate() {
                        outside(
                            sink,
                            s,
                            &res,
                            &format!("/replica_regions/{i}"),
                            &format!("multi-Region replica of {}", res.label()),
                            r,
                        );
                    }
                }
                Fact::Unknown(r) => sink.unknown(&res, "/replica_regions", "the multi-Region replica regions", *r),
            }
        }
    }
    for t in crate::checks::cloudtrail::unique(inv) {
        let res = Res::trail(t);
        outside(sink, s, &res, "/home_region", &format!("home region of {}", res.label()), &t.home_region);
    }
    for g in &inv.log_groups {
        let res = Res::log_group(g);
        outside(sink, s, &res, "/region", &res.label(), &g.region);
    }
    for st in &inv.kinesis_streams {
        let res = Res::stream(st);
        outside(sink, s, &res, "/region", &res.label(), &st.region);
    }
}
