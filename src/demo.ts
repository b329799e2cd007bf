export async function seedDemo(_k: unknown): Promise<{apiKey: string} | undefined> { return undefined; }
