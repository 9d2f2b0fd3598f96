//! AU601 `kinesis-not-encrypted`: a stream without server-side encryption.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Inventory, StreamEncryption};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for st in &inv.kinesis_streams {
        let res = Res::stream(st);
        if need(sink, &res, "/encryption_type", "the encryption type", &st.encryption_type)
            == Some(&StreamEncryption::None)
        {
            sink.report(&res, "/encryption_type", format!("{} has no server-side encryption", res.label()));
        }
    }
}
