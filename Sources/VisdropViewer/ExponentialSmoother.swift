/// The exponential moving average TensorBoard draws, debiased for its start.
///
/// `smoothed = last / (1 - weight^n)` with `last = last * weight + (1 - weight) * value` over the
/// n finite values so far, as TensorBoard's scalar dashboard computes it; a value that is not
/// finite (NaN, ±infinity) is shown as it is and does not enter the average. Its state is two
/// numbers, so a live series is carried forward from where it was instead of computed again.
struct ExponentialSmoother: Sendable, Equatable {
    /// 0 draws the raw values; towards 1 the curve is smoother.
    let weight: Double
    private var last = 0.0
    private var weightPower = 1.0

    init(weight: Double) {
        self.weight = weight
    }

    /// The smoothed value after `value`.
    mutating func next(_ value: Double) -> Double {
        guard value.isFinite else { return value }
        last = last * weight + (1 - weight) * value
        weightPower *= weight
        let debias = weight == 1 ? 1 : 1 - weightPower
        return last / debias
    }
}
