import Foundation

/// Per method x metric statistics of per-image scores: count, mean and a seeded percentile
/// bootstrap 95% interval of the mean (docs/metrics.md, "Summary").
public struct MetricSummary: Sendable {
    public struct Score: Sendable, Equatable {
        public var image: String, method: String, metric: String, value: Double
        public init(image: String, method: String, metric: String, value: Double) {
            self.image = image; self.method = method; self.metric = metric; self.value = value
        }
    }

    public struct Cell: Sendable, Equatable {
        public var n: Int, mean: Double, low: Double, high: Double
    }

    /// Cells by method, then metric.
    public let cells: [String: [String: Cell]]
    public let methods: [String], metrics: [String]

    /// `resamples` bootstrap draws of the images (with replacement), seeded.
    public init(_ scores: [Score], methods: [String], metrics: [String], resamples: Int = 1000, seed: UInt64 = 0) {
        var grouped: [String: [String: [Double]]] = [:]
        for s in scores where s.value.isFinite { grouped[s.method, default: [:]][s.metric, default: []].append(s.value) }
        var cells: [String: [String: Cell]] = [:]
        for (m, byMetric) in grouped {
            for (k, v) in byMetric {
                var rng = SeededRandom(seed: seed ^ Self.hash(m + "/" + k))
                cells[m, default: [:]][k] = Self.bootstrap(v, resamples: resamples, rng: &rng)
            }
        }
        self.cells = cells; self.methods = methods; self.metrics = metrics
    }

    /// FNV-1a 64 of a string (per-cell seeds independent of dictionary order).
    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100_0000_01b3 }
        return h
    }

    /// Mean and the 2.5th / 97.5th percentiles (linear interpolation) of `resamples` resampled means.
    public static func bootstrap(_ v: [Double], resamples: Int, rng: inout SeededRandom) -> Cell {
        let n = v.count
        let mean = v.reduce(0, +) / Double(max(n, 1))
        guard n > 1, resamples > 0 else { return Cell(n: n, mean: mean, low: mean, high: mean) }
        var means: [Double] = []
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var s = 0.0
            for _ in 0..<n { s += v[Int(rng.uniform() * Double(n)) % n] }
            means.append(s / Double(n))
        }
        means.sort()
        func q(_ p: Double) -> Double {
            let pos = p * Double(means.count - 1)
            let lo = Int(pos.rounded(.down)), hi = min(lo + 1, means.count - 1)
            return means[lo] + (pos - Double(lo)) * (means[hi] - means[lo])
        }
        return Cell(n: n, mean: mean, low: q(0.025), high: q(0.975))
    }

    static func number(_ x: Double) -> String { String(format: "%.4f", x) }

    /// CSV: method,metric,n,mean,ci_low,ci_high (one row per cell with values).
    public func csv() -> String {
        var lines = ["method,metric,n,mean,ci_low,ci_high"]
        for m in methods { for k in metrics { if let c = cells[m]?[k] {
            lines.append("\(m),\(k),\(c.n),\(Self.number(c.mean)),\(Self.number(c.low)),\(Self.number(c.high))")
        } } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Markdown: methods as rows, metrics as columns, "mean [low, high]"; `extra` adds columns
    /// (e.g. seconds per image) by method.
    public func markdown(direction: [String: Bool] = [:], extra: [(title: String, values: [String: String])] = []) -> String {
        let head = metrics.map { k in direction[k].map { "\(k) \($0 ? "↑" : "↓")" } ?? k } + extra.map(\.title)
        var lines = ["| method | " + head.joined(separator: " | ") + " |", "|---|" + String(repeating: "---|", count: head.count)]
        for m in methods {
            let row = metrics.map { k in cells[m]?[k].map { "\(Self.number($0.mean)) [\(Self.number($0.low)), \(Self.number($0.high))]" } ?? "—" }
                + extra.map { $0.values[m] ?? "—" }
            lines.append("| \(m) | " + row.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension MetricSummary {
    /// A per-image seed from its key (FNV-1a 64): the random baseline and ROAD's noise do not
    /// depend on the order or sharding of a run.
    public static func seed(for key: String) -> UInt64 { hash(key) }
}
