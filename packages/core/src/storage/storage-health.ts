import { statSync } from 'node:fs';

/** What a store says about its files, for the health metrics and the cluster view. */
export interface StorageStatus {
  /** Failures to make, write or keep this process's files: each one counted once. */
  readonly errors: number;
  /** Every value of this process reaches a file other processes can read right now. */
  readonly live: boolean;
  /** Fields kept out of the file because their label is longer than the format allows. */
  readonly memoryOnlyFields: number;
}

/**
 * Remembers which file each path named when we made it, so that a removed directory, a deleted
 * file or one replaced under our name is noticed. A mapping keeps working after its file is
 * unlinked, so nothing else would ever tell: writes succeed, and no reader sees them.
 */
export class FileWatch {
  private readonly made = new Map<string, { dev: number; ino: number }>();
  private readonly gone = new Set<string>();

  remember(path: string): void {
    try {
      const stat = statSync(path);
      this.made.set(path, { dev: stat.dev, ino: stat.ino });
    } catch {
      // Gone between rename and stat: the next check reports it.
      this.made.set(path, { dev: -1, ino: -1 });
    }
  }

  /** Paths that no longer name the file we made there and were not reported before. */
  newlyLost(): string[] {
    const lost: string[] = [];
    for (const [path, made] of this.made) {
      if (this.gone.has(path)) continue;
      let same = false;
      try {
        const stat = statSync(path);
        same = stat.dev === made.dev && stat.ino === made.ino;
      } catch {}
      if (!same) {
        this.gone.add(path);
        lost.push(path);
      }
    }
    return lost;
  }

  /** Whether `path` was reported lost and not written again since. */
  isLost(path: string): boolean {
    return this.gone.has(path);
  }

  /** `path` names our file again (written anew): watched as a new file. */
  restored(path: string): void {
    this.gone.delete(path);
    this.remember(path);
  }

  /** Some file we made is no longer readable under its name. */
  get anyLost(): boolean {
    return this.gone.size > 0;
  }
}
