import Foundation

/// `cfcam report OUT --html FILE`: one self-contained HTML page of a run: a grid of inputs (rows) x
/// methods (columns) with each overlay embedded as a data: URI (so the page works offline and can
/// be mailed), the top prediction, the explained target and its score, timings, and every
/// failure with its message. The page marks itself when loaded: `<body data-images=N
/// data-broken=M>`, M counting images that did not decode, so a headless browser can check it.
public enum HTMLReport {
    public struct Summary: Sendable, Equatable {
        public var inputs: Int, methods: Int, images: Int, failures: Int
    }

    public static func write(outDir: String, html: String, title: String? = nil) throws -> Summary {
        guard FileManager.default.fileExists(atPath: outDir + "/" + RunIndex.fileName) else {
            throw RunsError("\(outDir): not a cfcam output folder (no \(RunIndex.fileName)); run `cfcam explain MODEL INPUTS --out-dir \(outDir)` first")
        }
        let records = try RunIndex(outDir: outDir).records()
        let (page, summary) = try render(records: records, outDir: outDir, title: title ?? "cfcam report: \(outDir)")
        do {
            let tmp = html + ".tmp-\(getpid())"
            try Data(page.utf8).write(to: URL(fileURLWithPath: tmp))
            if FileManager.default.fileExists(atPath: html) { _ = try FileManager.default.replaceItemAt(URL(fileURLWithPath: html), withItemAt: URL(fileURLWithPath: tmp)) }
            else { try FileManager.default.moveItem(atPath: tmp, toPath: html) }
        } catch {
            throw RunsError("\(html): cannot write the report: \(error.localizedDescription)")
        }
        return summary
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func mime(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "jpg", "jpeg": return "image/jpeg"
        case "webp": return "image/webp"
        default: return "image/png"
        }
    }

    static func render(records: [RunRecord], outDir: String, title: String) throws -> (String, Summary) {
        let methods = Array(Set(records.map(\.method))).sorted()
        let byImage = Dictionary(grouping: records, by: \.image)
        let images = byImage.keys.sorted()
        var embedded = 0, failures = 0
        var rows = ""
        for key in images {
            let rs = byImage[key] ?? []
            let first = rs.first { $0.status == .done } ?? rs[0]
            var pred = "—"
            if let c = first.predictedClass {
                pred = "\(c)" + (first.predictedLabel.map { " \(escape($0))" } ?? "") + (first.predictedScore.map { String(format: " (%.3f)", $0) } ?? "")
            }
            let target = first.target.map(escape) ?? "—"
            let tscore = first.targetScore.map { String(format: "%.4g", $0) } ?? "—"
            rows += "<tr><th class=\"input\"><div>\(escape(key))</div><div class=\"meta\">top: \(pred)<br>target: \(target) score \(tscore)</div></th>"
            for m in methods {
                guard let r = rs.first(where: { $0.method == m }) else { rows += "<td class=\"missing\">not run</td>"; continue }
                if r.status == .failed {
                    failures += 1
                    rows += "<td class=\"failed\"><b>failed</b><pre>\(escape(r.error ?? "unknown error"))</pre></td>"
                    continue
                }
                var cell = ""
                if let p = r.overlayPath, let data = FileManager.default.contents(atPath: outDir + "/" + p) {
                    cell += "<img alt=\"\(escape(key)) \(escape(m))\" src=\"data:\(mime(p));base64,\(data.base64EncodedString())\">"
                    embedded += 1
                } else {
                    cell += "<div class=\"missing\">no overlay</div>"
                }
                let t = r.methodSeconds.map { String(format: "%.2f s", $0) } ?? ""
                cell += "<div class=\"meta\">\(escape(r.layer ?? "")) \(t)</div>"
                rows += "<td>\(cell)</td>"
            }
            rows += "</tr>\n"
        }
        let header = "<tr><th>input</th>" + methods.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        let page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}
        th.input{text-align:left;max-width:16em;word-break:break-all}img{max-width:256px;max-height:256px;display:block}
        .meta{font-size:small;color:#555;font-weight:normal}.failed{background:#fee}.failed pre{white-space:pre-wrap;max-width:24em;font-size:small}.missing{color:#999}
        </style></head>
        <body data-images="\(embedded)">
        <h1>\(escape(title))</h1>
        <p>\(images.count) inputs, \(methods.count) methods, \(failures) failures.</p>
        <table>
        \(header)
        \(rows)</table>
        <script>
        window.addEventListener('load', function () {
          var imgs = document.images, broken = 0;
          for (var i = 0; i < imgs.length; i++) { if (!imgs[i].complete || imgs[i].naturalWidth === 0) broken++; }
          document.body.setAttribute('data-loaded', String(imgs.length));
          document.body.setAttribute('data-broken', String(broken));
        });
        </script>
        </body></html>

        """
        return (page, Summary(inputs: images.count, methods: methods.count, images: embedded, failures: failures))
    }
}
