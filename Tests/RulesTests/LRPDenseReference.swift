/// The LRP rules written directly from their dense-matrix formulas (docs/methods.md, "LRP rules"), in Double, as an
/// independent reference for the graph implementation. A layer is z = A·x + b with A [K × J];
/// `mask` marks which inputs are in each output's receptive field (all ones for a dense layer).
struct DenseLayer {
    var a: [[Double]]
    var mask: [[Double]]
    var b: [Double]
    var k: Int { a.count }
    var j: Int { a.first?.count ?? 0 }

    /// Σ_j f(A_kj, mask_kj, j) for each k.
    func rows(_ f: (Double, Double, Int) -> Double) -> [Double] {
        (0..<k).map { kk in (0..<j).reduce(0) { $0 + f(a[kk][$1], mask[kk][$1], $1) } }
    }
    /// Σ_k f(A_kj, mask_kj, k) for each j.
    func cols(_ f: (Double, Double, Int) -> Double) -> [Double] {
        (0..<j).map { jj in (0..<k).reduce(0) { $0 + f(a[$1][jj], mask[$1][jj], $1) } }
    }
}

enum DenseRule {
    case epsilon(Double, zeroBias: Bool)
    case gamma(Double)
    case alphaBeta(Double, Double)
    case zPlus
    case zBox(low: [Double], high: [Double])
    case flat
    case wSquare(zeroBias: Bool)
}

func stab(_ z: Double, _ e: Double = 1e-6) -> Double { z + (z >= 0 ? e : -e) }
func pos(_ v: Double) -> Double { max(v, 0) }
func neg(_ v: Double) -> Double { min(v, 0) }

/// R_in for one sample.
func denseLRP(_ l: DenseLayer, x: [Double], r: [Double], rule: DenseRule) -> [Double] {
    switch rule {
    case .epsilon(let e, let zb):
        let z = l.rows { a, _, j in a * x[j] }.enumerated().map { $1 + (zb ? 0 : l.b[$0]) }
        let s = (0..<l.k).map { r[$0] / stab(z[$0], e) }
        return l.cols { a, _, k in a * s[k] }.enumerated().map { x[$0] * $1 }
    case .gamma(let g):
        let up: (Double) -> Double = { $0 + g * pos($0) }, dn: (Double) -> Double = { $0 + g * neg($0) }
        let z0 = l.rows { a, _, j in a * x[j] }.enumerated().map { $1 + l.b[$0] }
        let zp = l.rows { a, _, j in pos(x[j]) * up(a) + neg(x[j]) * dn(a) }.enumerated().map { $1 + up(l.b[$0]) }
        let zn = l.rows { a, _, j in pos(x[j]) * dn(a) + neg(x[j]) * up(a) }.enumerated().map { $1 + dn(l.b[$0]) }
        let s1 = (0..<l.k).map { z0[$0] > 0 ? r[$0] / stab(zp[$0]) : 0 }
        let s3 = (0..<l.k).map { z0[$0] < 0 ? r[$0] / stab(zn[$0]) : 0 }
        return (0..<l.j).map { j in
            (0..<l.k).reduce(0) { acc, k in
                let a = l.a[k][j]
                return acc + pos(x[j]) * up(a) * s1[k] + neg(x[j]) * dn(a) * s1[k]
                    + pos(x[j]) * dn(a) * s3[k] + neg(x[j]) * up(a) * s3[k]
            }
        }
    case .alphaBeta(let alpha, let beta):
        let zp = l.rows { a, _, j in pos(x[j]) * pos(a) + neg(x[j]) * neg(a) }.enumerated().map { $1 + pos(l.b[$0]) }
        let zn = l.rows { a, _, j in pos(x[j]) * neg(a) + neg(x[j]) * pos(a) }.enumerated().map { $1 + neg(l.b[$0]) }
        return (0..<l.j).map { j in
            (0..<l.k).reduce(0) { acc, k in
                let a = l.a[k][j]
                return acc + alpha * (pos(x[j]) * pos(a) + neg(x[j]) * neg(a)) * r[k] / stab(zp[k])
                    - beta * (pos(x[j]) * neg(a) + neg(x[j]) * pos(a)) * r[k] / stab(zn[k])
            }
        }
    case .zPlus:
        return denseLRP(l, x: x, r: r, rule: .alphaBeta(1, 0))
    case .zBox(let lo, let hi):
        let z = l.rows { a, _, j in a * x[j] - lo[j] * pos(a) - hi[j] * neg(a) }
        return (0..<l.j).map { j in
            (0..<l.k).reduce(0) { acc, k in
                let a = l.a[k][j]
                return acc + (a * x[j] - lo[j] * pos(a) - hi[j] * neg(a)) * r[k] / stab(z[k])
            }
        }
    case .flat:
        let z = l.rows { _, m, _ in m }
        return l.cols { _, m, k in m * r[k] / stab(z[k]) }
    case .wSquare(let zb):
        let z = l.rows { a, _, _ in a * a }.enumerated().map { $1 + (zb ? 0 : l.b[$0] * l.b[$0]) }
        return l.cols { a, _, k in a * a * r[k] / stab(z[k]) }
    }
}

/// The explicit matrix of a 2-D convolution (one sample, no groups, no dilation):
/// A[(m, oy, ox), (c, iy, ix)] = W[m, c, ky, kx] where iy = oy·s − p + ky, ix = ox·s − p + kx.
func convMatrix(w: [Float], m: Int, c: Int, kh: Int, kw: Int, h: Int, wd: Int, stride: Int, pad: Int, bias: [Float])
    -> (layer: DenseLayer, oh: Int, ow: Int) {
    let oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1
    var a = [[Double]](repeating: [Double](repeating: 0, count: c * h * wd), count: m * oh * ow)
    var mask = a
    var b = [Double](repeating: 0, count: m * oh * ow)
    for mm in 0..<m { for oy in 0..<oh { for ox in 0..<ow {
        let row = (mm * oh + oy) * ow + ox
        b[row] = Double(bias[mm])
        for cc in 0..<c { for ky in 0..<kh { for kx in 0..<kw {
            let iy = oy * stride - pad + ky, ix = ox * stride - pad + kx
            guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
            let col = (cc * h + iy) * wd + ix
            a[row][col] = Double(w[((mm * c + cc) * kh + ky) * kw + kx])
            mask[row][col] = 1
        } } }
    } } }
    return (DenseLayer(a: a, mask: mask, b: b), oh, ow)
}
