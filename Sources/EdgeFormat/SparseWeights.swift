/// Block-sparse int8 weights: tensor layout 1 (FORMAT.md, "Block-sparse int8 weights").
///
/// The logical tensor is `[rows, 1, 1, columns]` (conv 1x1, OHWI) or `[rows, columns]` (fully
/// connected); its bytes are a 32-byte header, `rowPtr u32[rows + 1]`, `blockCol u16[blocks]`,
/// zero padding to a 16-byte offset, then `values i8[blocks x blockWidth]`. Readers validate
/// with `validate`, once at load; kernels then trust every index.
public struct SparseWeights: Sendable {
    /// The tensor record `layout` value.
    public static let layout: UInt8 = 1
    public static let headerSize = 32
    /// Block widths the kernels implement.
    public static let blockWidths = [4, 16]

    public var blockWidth: Int
    public var rows: Int
    public var columns: Int
    public var blockCount: Int

    public init(blockWidth: Int, rows: Int, columns: Int, blockCount: Int) {
        self.blockWidth = blockWidth
        self.rows = rows
        self.columns = columns
        self.blockCount = blockCount
    }

    /// The header of a layout-1 tensor that `validate` accepted (no checks: call only then).
    public init(validatedAt base: UnsafeRawPointer) {
        let header = UnsafeRawBufferPointer(start: base, count: Self.headerSize)
        self.init(blockWidth: Int(header.le32(4)), rows: Int(header.le32(8)), columns: Int(header.le32(12)),
                  blockCount: Int(header.le32(16)))
    }

    public var rowPtrOffset: Int { Self.headerSize }
    public var blockColOffset: Int { Self.headerSize + (rows + 1) * 4 }
    public var valuesOffset: Int { (blockColOffset + blockCount * 2 + 15) / 16 * 16 }
    public var byteSize: Int { valuesOffset + blockCount * blockWidth }

    /// Checks a layout-1 tensor's bytes against its shape: header, sizes, row pointers and
    /// block columns. `bytes` are the tensor's `byteSize` bytes.
    public static func validate(_ bytes: UnsafeRawBufferPointer, shape: Shape, object: String) throws(EdgeError) -> SparseWeights {
        if !(shape.rank == 2 || (shape.rank == 4 && shape[1] == 1 && shape[2] == 1)) {
            throw .format(object, "block-sparse weights have shape @; they must be [out, in] or [out, 1, 1, in]", 0, text: shape.text)
        }
        if bytes.count < headerSize { throw .format(object, "block-sparse weights of % bytes lack the 32-byte header", bytes.count) }
        let blockH = Int(bytes.le32(0)), blockW = Int(bytes.le32(4)), rows = Int(bytes.le32(8)), columns = Int(bytes.le32(12))
        let blocks = Int(bytes.le32(16))
        if blockH != 1 || !blockWidths.contains(blockW) {
            throw .format(object, "block shape %x% is not 1x4 or 1x16", blockH, blockW)
        }
        if rows != shape[0] || columns != shape[shape.rank - 1] {
            throw .format(object, "block-sparse header says % rows x % columns for shape @", rows, columns, text: shape.text)
        }
        if columns % blockW != 0 { throw .format(object, "% columns are not a multiple of the block width %", columns, blockW) }
        if bytes.le32(20) != 0 || bytes.le64(24) != 0 { throw .format(object, "block-sparse header reserved fields are not 0") }
        let blockColumns = columns / blockW
        if blocks > rows * blockColumns {
            throw .format(object, "block count % exceeds the % blocks of a %x% matrix", blocks, rows * blockColumns, rows, columns)
        }
        let w = SparseWeights(blockWidth: blockW, rows: rows, columns: columns, blockCount: blocks)
        if w.byteSize != bytes.count {
            throw .format(object, "byte size \(bytes.count) does not match \(blocks) blocks of 1x\(blockW) in \(rows) rows (\(w.byteSize) bytes)")
        }
        var previousEnd = 0
        for r in 0..<rows {
            let begin = Int(bytes.le32(w.rowPtrOffset + 4 * r)), end = Int(bytes.le32(w.rowPtrOffset + 4 * r + 4))
            if begin != previousEnd || end < begin || end > blocks {
                throw .format(object, "row pointer % spans blocks %..<%; rows must tile 0..<% in order", r, begin, end, blocks)
            }
            var previousColumn = -1
            for b in begin..<end {
                let column = Int(bytes.le16(w.blockColOffset + 2 * b))
                if column <= previousColumn || column >= blockColumns {
                    throw .format(object, "block % of row % has column %; columns must increase within a row and stay below %", b, r, column, blockColumns)
                }
                previousColumn = column
            }
            previousEnd = end
        }
        if previousEnd != blocks { throw .format(object, "row pointers end at block %, the header says %", previousEnd, blocks) }
        for offset in (w.blockColOffset + 2 * blocks)..<w.valuesOffset where bytes[offset] != 0 {
            throw .format(object, "padding byte % before the values is %, must be 0", offset, Int(bytes[offset]))
        }
        return w
    }

    /// Encodes a dense row-major `[rows, columns]` int8 matrix, keeping every block of
    /// `blockWidth` columns that holds a non-zero value. Precondition: `columns` is a
    /// multiple of `blockWidth` and below 65536 x `blockWidth`.
    public static func encode(_ dense: [Int8], rows: Int, columns: Int, blockWidth: Int) -> [UInt8] {
        precondition(columns % blockWidth == 0 && dense.count == rows * columns, "bad block-sparse encode request")
        var rowPtr: [UInt32] = [0], cols: [UInt16] = [], values: [Int8] = []
        for r in 0..<rows {
            for c in 0..<(columns / blockWidth) {
                let block = dense[(r * columns + c * blockWidth)..<(r * columns + (c + 1) * blockWidth)]
                if block.contains(where: { $0 != 0 }) {
                    cols.append(UInt16(c))
                    values.append(contentsOf: block)
                }
            }
            rowPtr.append(UInt32(cols.count))
        }
        let w = SparseWeights(blockWidth: blockWidth, rows: rows, columns: columns, blockCount: cols.count)
        var out = [UInt8](repeating: 0, count: w.byteSize)
        func put32(_ v: UInt32, _ at: Int) { for i in 0..<4 { out[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) } }
        put32(1, 0)
        put32(UInt32(blockWidth), 4)
        put32(UInt32(rows), 8)
        put32(UInt32(columns), 12)
        put32(UInt32(cols.count), 16)
        for (i, p) in rowPtr.enumerated() { put32(p, w.rowPtrOffset + 4 * i) }
        for (i, c) in cols.enumerated() {
            out[w.blockColOffset + 2 * i] = UInt8(truncatingIfNeeded: c)
            out[w.blockColOffset + 2 * i + 1] = UInt8(truncatingIfNeeded: c >> 8)
        }
        for (i, v) in values.enumerated() { out[w.valuesOffset + i] = UInt8(bitPattern: v) }
        return out
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func le16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }
}
