/// The order files found by a scan are filed in: oldest modification time first, and for equal
/// times (file systems stamp times at a few milliseconds' granularity) by path with runs of digits
/// compared as numbers, so `loss_9.json` comes before `loss_10.json` as the writer made them.
enum ScanOrder {
    /// Sorts `files` oldest first, then by path in natural order.
    static func sort(_ files: inout [(path: String, modificationTime: Int64)]) {
        files.sort { left, right in
            if left.modificationTime != right.modificationTime {
                return left.modificationTime < right.modificationTime
            }
            return naturallyPrecedes(left.path, right.path)
        }
    }

    /// Whether `left` sorts before `right` when digit runs are compared by value (then by length,
    /// so `07` follows `7`), and everything else by Unicode scalar value.
    static func naturallyPrecedes(_ left: String, _ right: String) -> Bool {
        var leftScalars = Array(left.unicodeScalars)[...]
        var rightScalars = Array(right.unicodeScalars)[...]
        while let leftFirst = leftScalars.first, let rightFirst = rightScalars.first {
            if isDigit(leftFirst) && isDigit(rightFirst) {
                let leftDigits = leftScalars.prefix(while: isDigit)
                let rightDigits = rightScalars.prefix(while: isDigit)
                leftScalars = leftScalars.dropFirst(leftDigits.count)
                rightScalars = rightScalars.dropFirst(rightDigits.count)
                let leftValue = leftDigits.drop { $0 == "0" }
                let rightValue = rightDigits.drop { $0 == "0" }
                if leftValue.count != rightValue.count { return leftValue.count < rightValue.count }
                if !leftValue.elementsEqual(rightValue) {
                    return leftValue.lexicographicallyPrecedes(rightValue)
                }
                if leftDigits.count != rightDigits.count { return leftDigits.count < rightDigits.count }
                continue
            }
            if leftFirst != rightFirst { return leftFirst.value < rightFirst.value }
            leftScalars = leftScalars.dropFirst()
            rightScalars = rightScalars.dropFirst()
        }
        return leftScalars.isEmpty && !rightScalars.isEmpty
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar >= "0" && scalar <= "9"
    }
}
