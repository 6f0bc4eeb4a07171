// Short notices in the corner; they dismiss themselves.
export type Toast = { id: number; text: string; kind: "info" | "warning" | "error" | "success" };

class Toasts {
  list = $state<Toast[]>([]);
  private next = 1;

  show(text: string, kind: Toast["kind"] = "info", ms = 6000): number {
    const id = this.next++;
    this.list = [...this.list, { id, text, kind }];
    if (ms > 0) setTimeout(() => this.dismiss(id), ms);
    return id;
  }

  dismiss(id: number): void {
    this.list = this.list.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
