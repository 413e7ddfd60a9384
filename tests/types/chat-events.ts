// Generated from the Rust schema `ChatEvents` by sockeye_core::schema::typescript: do not edit.

export interface ChatLine {
  user: string;
  text: string;
  seq: number;
}

export interface ServerToClientEvents {
  chat: (line: ChatLine) => void;
  members: (room: string, names: string[]) => void;
  "chat:ask": (question: string, callback: (answer: string | null) => void) => void;
}

export interface ClientToServerEvents {
  message: (text: string, callback: (count: number) => void) => void;
  typing: (active: boolean) => void;
  join: (room: string, user: string, callback: () => void) => void;
}
