//! One self-contained HTML report for the security team: summary by severity, by service and
//! by compliance framework, then a sortable, filterable findings table with remediation.
//! No external assets: CSS and the small sorting/filtering script are inline.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{escape_xml as x, Report};
use crate::rules::FRAMEWORKS;

const STYLE: &str = r"
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1f24}
h1{margin-bottom:.2rem}.meta{color:#57606a;margin-bottom:1.5rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;min-width:7rem}
.card b{display:block;font-size:1.6rem}
.sev-critical{color:#fff;background:#8b0000}.sev-high{color:#fff;background:#cf222e}
.sev-medium{background:#fb8f44}.sev-low{background:#eac54f}.sev-info{background:#ddf4ff}
span.sev{padding:.1rem .4rem;border-radius:4px;font-size:.85rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f6f8fa;cursor:pointer;user-select:none}th.sorted-asc::after{content:' ▲'}th.sorted-desc::after{content:' ▼'}
.controls{display:flex;gap:.5rem;flex-wrap:wrap;margin:.5rem 0}
input,select{padding:.3rem;border:1px solid #d0d7de;border-radius:4px}
details{margin:.2rem 0}code{background:#f6f8fa;padding:0 .2rem}
.summary-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
";

const SCRIPT: &str = r"
(function(){
const t=document.getElementById('findings');if(!t)return;
const rows=Array.from(t.tBodies[0].rows);
const q=document.getElementById('q'),sev=document.getElementById('sev'),svc=document.getElementById('svc'),fw=document.getElementById('fw');
const rank={critical:5,high:4,medium:3,low:2,info:1};
function apply(){const text=q.value.toLowerCase();let shown=0;
rows.forEach(r=>{const ok=(!text||r.textContent.toLowerCase().includes(text))&&(!sev.value||r.dataset.sev===sev.value)&&(!svc.value||r.dataset.svc===svc.value)&&(!fw.value||(' '+r.dataset.fw+' ').includes(' '+fw.value+' '));r.style.display=ok?'':'none';if(ok)shown++;});
document.getElementById('shown').textContent=shown;}
[q,sev,svc,fw].forEach(e=>e.addEventListener('input',apply));
Array.from(t.tHead.rows[0].cells).forEach((th,i)=>th.addEventListener('click',()=>{
const asc=!th.classList.contains('sorted-asc');Array.from(t.tHead.rows[0].cells).forEach(c=>c.classList.remove('sorted-asc','sorted-desc'));
th.classList.add(asc?'sorted-asc':'sorted-desc');
const key=r=>i===0?rank[r.dataset.sev]:r.cells[i].textContent.trim().toLowerCase();
rows.sort((a,b)=>{const x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*(asc?1:-1)});rows.forEach(r=>t.tBodies[0].appendChild(r));}));
apply();})();
";

pub(super) fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let counts = r.counts();
    let mut by_service: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    for f in &r.findings {
        let svc = f.service.clone().unwrap_or_else(|| "other".into());
        *by_service.entry(svc).or_default().entry(f.severity.as_str()).or_default() += 1;
    }
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")?;
    writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
    writeln!(out, "<title>{} report</title><style>{STYLE}</style></head><body>", x(&r.tool))?;
    writeln!(out, "<h1>{} report</h1>", x(&r.tool))?;
    let mut meta = format!("{} {}", x(&r.tool), x(&r.version));
    for (k, v) in &r.metadata {
        let v = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let v = if v.len() > 200 {
            format!("{}…", &v[..v.char_indices().nth(200).map_or(v.len(), |(i, _)| i)])
        } else {
            v
        };
        meta.push_str(&format!(" · {}: {}", x(k), x(&v)));
    }
    writeln!(out, "<div class=\"meta\">{meta}</div>")?;

    writeln!(out, "<div class=\"cards\">")?;
    writeln!(out, "<div class=\"card\"><b>{}</b>findings</div>", r.findings.len())?;
    for (sev, n) in counts.iter().rev() {
        writeln!(out, "<div class=\"card sev-{sev}\"><b>{n}</b>{sev}</div>")?;
    }
    writeln!(out, "<div class=\"card\"><b>{}</b>errors (not checked)</div>", r.errors.len())?;
    if let Some(b) = &r.baseline {
        writeln!(
            out,
            "<div class=\"card\"><b>{}</b>new · {} unchanged · {} resolved</div>",
            b.new.len(),
            b.unchanged.len(),
            b.resolved.len()
        )?;
    }
    writeln!(out, "</div>")?;

    writeln!(out, "<div class=\"summary-grid\"><section><h2>By service</h2><table><thead><tr><th>Service</th><th>critical</th><th>high</th><th>medium</th><th>low</th><th>info</th></tr></thead><tbody>")?;
    for (svc, m) in &by_service {
        write!(out, "<tr><td>{}</td>", x(svc))?;
        for s in ["critical", "high", "medium", "low", "info"] {
            write!(out, "<td>{}</td>", m.get(s).copied().unwrap_or(0))?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody></table></section>")?;

    for fw in FRAMEWORKS {
        let mut by_control: BTreeMap<String, usize> = BTreeMap::new();
        for f in &r.findings {
            for c in r.controls_of(f, fw) {
                *by_control.entry(c).or_default() += 1;
            }
        }
        writeln!(out, "<section><h2>By framework: {fw}</h2>")?;
        if by_control.is_empty() {
            writeln!(out, "<p>No findings mapped to {fw}.</p></section>")?;
            continue;
        }
        writeln!(out, "<table><thead><tr><th>Control</th><th>Findings</th></tr></thead><tbody>")?;
        for (c, n) in by_control {
            writeln!(out, "<tr><td>{}</td><td>{n}</td></tr>", x(&c))?;
        }
        writeln!(out, "</tbody></table></section>")?;
    }
    writeln!(out, "</div>")?;

    writeln!(out, "<h2>Findings (<span id=\"shown\">{}</span> shown)</h2><div class=\"controls\">", r.findings.len())?;
    writeln!(out, "<input id=\"q\" type=\"search\" placeholder=\"Filter text…\" aria-label=\"Filter\">")?;
    writeln!(out, "<select id=\"sev\" aria-label=\"Severity\"><option value=\"\">All severities</option>")?;
    for s in ["critical", "high", "medium", "low", "info"] {
        writeln!(out, "<option>{s}</option>")?;
    }
    writeln!(out, "</select><select id=\"svc\" aria-label=\"Service\"><option value=\"\">All services</option>")?;
    for svc in by_service.keys() {
        writeln!(out, "<option>{}</option>", x(svc))?;
    }
    writeln!(
        out,
        "</select><select id=\"fw\" aria-label=\"Framework control\"><option value=\"\">All controls</option>"
    )?;
    let mut all_controls = std::collections::BTreeSet::new();
    for f in &r.findings {
        for fw in FRAMEWORKS {
            for c in r.controls_of(f, fw) {
                all_controls.insert(format!("{fw}:{c}"));
            }
        }
    }
    for c in &all_controls {
        writeln!(out, "<option>{}</option>", x(c))?;
    }
    writeln!(out, "</select></div>")?;
    writeln!(out, "<table id=\"findings\"><thead><tr><th>Severity</th><th>Rule</th><th>Category</th><th>Service</th><th>Resource</th><th>Finding and remediation</th><th>Controls</th></tr></thead><tbody>")?;
    for f in &r.findings {
        let controls: Vec<String> = FRAMEWORKS
            .iter()
            .flat_map(|fw| r.controls_of(f, fw).into_iter().map(move |c| format!("{fw}:{c}")))
            .collect();
        let svc = f.service.clone().unwrap_or_else(|| "other".into());
        let remediation = f
            .remediation
            .clone()
            .or_else(|| r.rule(&f.code).map(|m| m.docs.remediation.trim().to_string()))
            .unwrap_or_default();
        let tf = r.rule(&f.code).map(|m| m.docs.remediation_terraform.trim().to_string()).unwrap_or_default();
        write!(
            out,
            "<tr data-sev=\"{}\" data-svc=\"{}\" data-fw=\"{}\"><td><span class=\"sev sev-{}\">{}</span></td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}<details><summary>Remediation</summary><p>{}</p>",
            f.severity, x(&svc), x(&controls.join(" ")), f.severity, f.severity, x(&f.code), x(&f.rule), x(&f.category), x(&svc),
            x(&f.location.display()), x(&f.message), x(&remediation)
        )?;
        if !tf.is_empty() {
            write!(out, "<pre><code>{}</code></pre>", x(&tf))?;
        }
        writeln!(out, "</details></td><td>{}</td></tr>", x(&controls.join(", ")))?;
    }
    writeln!(out, "</tbody></table>")?;
    if !r.errors.is_empty() {
        writeln!(out, "<h2>Not checked ({})</h2><ul>", r.errors.len())?;
        for e in &r.errors {
            writeln!(out, "<li>{}</li>", x(&e.display()))?;
        }
        writeln!(out, "</ul>")?;
    }
    if let Some(b) = &r.baseline {
        if !b.resolved.is_empty() {
            writeln!(out, "<h2>Resolved since baseline ({})</h2><ul>", b.resolved.len())?;
            for f in &b.resolved {
                writeln!(out, "<li>{} {} — {}</li>", x(&f.code), x(&f.location.display()), x(&f.message))?;
            }
            writeln!(out, "</ul>")?;
        }
    }
    writeln!(out, "<script>{SCRIPT}</script></body></html>")
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::Format;

    #[test]
    fn html_is_self_contained_and_escaped() {
        let mut buf = Vec::new();
        sample().render(Format::Html, &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(!s.contains("http://") && !s.contains("<link") && !s.contains("src=\""), "no external assets");
        assert!(s.contains("pci-dss-v4:7.2.1"));
        assert!(s.contains("&lt;incl. writes&gt;"));
        assert!(s.contains("<table id=\"findings\">"));
    }
}
