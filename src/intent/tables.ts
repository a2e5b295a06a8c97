// The ASCII tables of the legacy clients (`neutron net-show`, `net-create`, `port-list`, `nova list`) and of
// `openstack … -f table`:
//
//   +-----------+--------------------------------------+
//   | Field     | Value                                |
//   +-----------+--------------------------------------+
//   | id        | 5f833617-6179-4797-b7c0-7d420d84040c |
//   | subnets   | 2d7a0a58-…                           |
//   |           | 7c1b…                                |      <- a cell that spans lines continues with an empty key
//   +-----------+--------------------------------------+
//
// Transcriptions (the seed) lose the `+---+` borders and add blank lines between rows, so neither is relied upon: a
// table is a run of `|` rows; it ends at a line of prose (`Created a new network:`) or at a new `| Field | Value |`.

import type {ParseProblem} from '../types.js'
import {clip} from '../text.js'
import type {Loose} from './values.js'

/** One record read from a table, with the line of each field for evidence. */
export interface TableRecord {
  record: Loose
  /** 1-based line where the record starts. */
  line: number
  fieldLines: Record<string, number>
}

export interface TablesResult {
  records: TableRecord[]
  problems: ParseProblem[]
  /** Did the text hold any table at all? */
  sawTable: boolean
}

const BORDER = /^\+[-+=]*\+?$/
interface Row {
  line: number
  cells: string[]
}

function splitRow(trimmed: string): string[] {
  return trimmed
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim())
}

function isFieldValueHeader(cells: string[]): boolean {
  return cells.length === 2 && cells[0].toLowerCase() === 'field' && cells[1].toLowerCase() === 'value'
}

/** Groups the `|` rows of a text into tables; rows that are not whole rows become problems. */
function groupRows(text: string, problems: ParseProblem[]): Row[][] {
  const tables: Row[][] = []
  let current: Row[] | undefined
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1
    const trimmed = raw.trim()
    if (trimmed === '' || BORDER.test(trimmed)) return
    if (!trimmed.startsWith('|')) {
      current = undefined
      return
    }
    if (!trimmed.endsWith('|') || trimmed.length < 2) {
      problems.push({line, text: clip(trimmed), message: 'table row is cut short (no closing |)'})
      return
    }
    const cells = splitRow(trimmed)
    if (!current || isFieldValueHeader(cells)) {
      current = []
      tables.push(current)
    }
    current.push({line, cells})
  })
  return tables
}

function appendCell(record: Loose, key: string, text: string): void {
  const before = record[key]
  record[key] = typeof before === 'string' && before !== '' ? `${before}\n${text}` : text
}

/** `| Field | Value |` tables: one record, a row per field; an empty field name continues the previous field. */
function readFieldValue(rows: Row[], problems: ParseProblem[]): TableRecord {
  const record: Loose = {}
  const fieldLines: Record<string, number> = {}
  let last: string | undefined
  for (const row of rows.slice(1)) {
    if (row.cells.length !== 2) {
      problems.push({
        line: row.line,
        text: clip(row.cells.join(' | ')),
        message: `expected 2 cells (field, value), found ${row.cells.length}`,
      })
      continue
    }
    const [field, value] = row.cells
    if (field === '') {
      if (last === undefined)
        problems.push({line: row.line, text: clip(value), message: 'continuation row before any field'})
      else appendCell(record, last, value)
      continue
    }
    record[field] = value
    fieldLines[field] = row.line
    last = field
  }
  return {record, line: rows[0].line, fieldLines}
}

/** List tables (`| ID | Name | … |`): a record per row; a row whose first cell is empty continues the previous one. */
function readList(rows: Row[], problems: ParseProblem[]): TableRecord[] {
  const header = rows[0].cells
  const records: TableRecord[] = []
  for (const row of rows.slice(1)) {
    if (row.cells.length !== header.length) {
      problems.push({
        line: row.line,
        text: clip(row.cells.join(' | ')),
        message: `expected ${header.length} cells as in the header, found ${row.cells.length}`,
      })
      continue
    }
    const previous = records.at(-1)
    if (row.cells[0] === '' && previous) {
      header.forEach((key, i) => {
        if (row.cells[i] !== '') appendCell(previous.record, key, row.cells[i])
      })
      continue
    }
    const record: Loose = {}
    const fieldLines: Record<string, number> = {}
    header.forEach((key, i) => {
      record[key] = row.cells[i]
      fieldLines[key] = row.line
    })
    records.push({record, line: row.line, fieldLines})
  }
  return records
}

/** Reads every table in a text into records; never throws. */
export function readTables(text: string): TablesResult {
  const problems: ParseProblem[] = []
  const records: TableRecord[] = []
  const tables = groupRows(text, problems)
  for (const rows of tables) {
    // A header alone is an empty listing (`nova list` with no servers), not a problem.
    if (isFieldValueHeader(rows[0].cells)) {
      if (rows.length > 1) records.push(readFieldValue(rows, problems))
    } else {
      records.push(...readList(rows, problems))
    }
  }
  return {records, problems, sawTable: tables.length > 0}
}
