import type { DirectorySuggestion } from '../../../../shared/entities';
import type { ReadHandle } from '../handles';
import { fromStored, type Stored } from '../stored';

/** Directory suggestions this replica holds, newest first: the open ones, or all (at most 500). */
export function listSuggestions(r: ReadHandle, status: 'open' | 'all'): DirectorySuggestion[] {
  const sql =
    status === 'open'
      ? "SELECT * FROM directory_suggestion WHERE status = 'open' ORDER BY suggestedAt DESC LIMIT 500"
      : 'SELECT * FROM directory_suggestion ORDER BY suggestedAt DESC LIMIT 500';
  return r.statement<[], Stored>(sql).all().map((row) => fromStored('directory_suggestion', row) as DirectorySuggestion);
}
