import VisdropPNG

/// `visdrop-bench --deflate-compare`: PNG coders timed in this process on the benchmark's own
/// images (gradients plus noise, RGB uint8), end to end — `PNGEncoder.encode`, from pixels to
/// the bytes of a PNG file (filtering, deflate, checksums, the output array) — one core, no
/// agents, no files.
///
/// Every coder writes the same SUB-filtered rows; they differ only in how they deflate them:
/// visdrop's run-length coder against zlib at OpenCV's settings through libpng (the stream
/// `cv2.imwrite` writes). At commit 8da69c8 this mode also ran libdeflate 1.14 at levels 1-3;
/// the run-length coder was 3.8-4.1× faster at 512×512 and 1920×1080 with files 0.5-5.8 %
/// smaller, so libdeflate was not adopted (README, "Performance"). The coders take turns image
/// by image (A B A B ...), so that what else the machine runs slows them alike; the report
/// gives medians. Each coder's first PNG is decoded back and must hold the input's pixels.
struct DeflateCompare {
    /// A coder under test: a name for the report and the encoder that runs it.
    struct Coder {
        let name: String
        let encoder: PNGEncoder
    }

    /// The first coder is the yardstick for the ratios.
    let coders: [Coder] = [
        Coder(name: "visdrop's run-length coder", encoder: PNGEncoder()),
        Coder(
            name: "zlib level 1, Z_RLE (libpng; cv2.imwrite's stream)",
            encoder: PNGEncoder(compressor: .libpng)),
    ]

    /// Images per coder and size, scaled down for large images; at least 3.
    let repetitions: Int

    func run() throws -> String {
        var lines = [
            "### PNG coders on the benchmark's images (in-process, one core, medians of "
                + "\(repetitions)/\(max(repetitions / 10, 3))/\(max(repetitions / 40, 3)) images)",
            "",
            "| image | coder | ms per image | images/s | bytes | size vs first | first's speed-up |",
            "|---|---|--:|--:|--:|--:|--:|",
        ]
        for (width, height, count) in [
            (64, 64, repetitions), (512, 512, max(repetitions / 10, 3)),
            (1920, 1080, max(repetitions / 40, 3)),
        ] {
            lines += try compare(width: width, height: height, count: count)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func compare(width: Int, height: Int, count: Int) throws -> [String] {
        let image = try PixelImage(
            width: width, height: height, layout: .rgb,
            samples: .eightBit(ImageContent.rgb(width: width, height: height, variant: 0)))
        var sizes = [Int](repeating: 0, count: coders.count)
        for (index, coder) in coders.enumerated() {
            let png = try coder.encoder.encode(image)
            guard try PNGDecoder.decode(png) == image else {
                throw BenchError.agent(
                    "\(coder.name): the \(width)×\(height) PNG does not decode to its input")
            }
            sizes[index] = png.count
        }
        var samples = [[Double]](repeating: [], count: coders.count)
        for _ in 0..<count {
            for (index, coder) in coders.enumerated() {
                let start = Bench.now()
                let png = try coder.encoder.encode(image)
                let elapsed = Bench.now() - start
                guard png.count == sizes[index] else {
                    throw BenchError.agent("\(coder.name): \(width)×\(height) came out in two sizes")
                }
                samples[index].append(Double(elapsed) / 1e6)
            }
        }
        let medians = samples.map { Bench.median($0) }
        return coders.indices.map { index in
            let cells = [
                "\(width)×\(height)", coders[index].name, Bench.fixed(medians[index], 3),
                Bench.rate(1000 / medians[index]), Bench.grouped(sizes[index]),
                Bench.fixed(Double(sizes[index]) / Double(sizes[0]), 3) + "×",
                Bench.fixed(medians[index] / medians[0], 2) + "×",
            ]
            return "| " + cells.joined(separator: " | ") + " |"
        }
    }
}
