/** A chart's figures as a table, its last row the total: on screen (for screen readers and on request) and on paper. */
export function ChartTable({ table, className, totalClassName, caption }: {
  table: { columns: readonly string[]; rows: readonly (readonly string[])[] };
  className: string;
  totalClassName: string;
  caption?: string;
}) {
  return (
    <table className={className}>
      {caption && <caption className="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          {table.columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {table.rows.map((row, i) => (
          <tr key={row[0]} className={i === table.rows.length - 1 ? totalClassName : undefined}>
            <th scope="row">{row[0]}</th>
            {row.slice(1).map((v, j) => (
              <td key={j}>{v === '' ? '—' : v}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
